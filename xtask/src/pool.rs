//! One worker pool for the long stages (halmos's check contracts, the mutants' variants): each
//! worker takes the next item when it is done with one, so none sits idle while another still
//! has a list.

use std::collections::VecDeque;
use std::sync::{mpsc, Mutex};

use eyre::Result;

/// Runs `work` on every item, one thread per worker (`workers`: each one's own state, such as a
/// scratch tree), and hands each result to `each` on this thread, in the order they finish. An
/// error from `each` stops the pool: the workers finish the item in hand and take no other.
pub fn run<W, T, R>(
    workers: &[W],
    items: impl IntoIterator<Item = T>,
    work: impl Fn(&W, T) -> R + Sync,
    mut each: impl FnMut(R) -> Result<()>,
) -> Result<()>
where
    W: Sync,
    T: Send,
    R: Send,
{
    let queue = Mutex::new(items.into_iter().collect::<VecDeque<T>>());
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for worker in workers {
            let (tx, queue, work) = (tx.clone(), &queue, &work);
            scope.spawn(move || loop {
                let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                let Some(item) = next else { break };
                // The receiver is gone once `each` failed: stop here.
                if tx.send(work(worker, item)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // `rx` is dropped with this loop, also when `each` fails, which stops the workers.
        for result in rx {
            each(result)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_worked_once_by_some_worker() {
        let mut seen = Vec::new();
        run(
            &[10u32, 20],
            0..50u32,
            |w, i| (*w, i),
            |(w, i)| {
                assert!(w == 10 || w == 20);
                seen.push(i);
                Ok(())
            },
        )
        .unwrap();
        seen.sort_unstable();
        assert_eq!(seen, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn an_error_stops_the_pool_and_is_returned() {
        let worked = std::sync::atomic::AtomicUsize::new(0);
        let err = run(
            &[(); 2],
            0..1000u32,
            |_, i| {
                worked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(1));
                i
            },
            |i| if i == 3 { Err(eyre::eyre!("item 3 failed")) } else { Ok(()) },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "item 3 failed");
        let worked = worked.load(std::sync::atomic::Ordering::SeqCst);
        assert!(worked < 100, "the workers went on after the error: {worked} items worked");
    }
}
