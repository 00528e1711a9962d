//! Progress on long steps (indicatif): a spinner with the elapsed time and the current step on a
//! terminal; on anything else (a CI log) one plain line per step, as before.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// The steps of one long command.
pub struct Steps(Option<ProgressBar>);

impl Steps {
    pub fn start() -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("  {spinner} [{elapsed}] {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Self(Some(bar))
    }

    /// `line` is the step now running; the one before it is done and stays printed.
    pub fn step(&self, line: &str) {
        match &self.0 {
            Some(bar) => {
                if !bar.message().is_empty() {
                    bar.println(format!("  {}", bar.message()));
                }
                bar.set_message(line.to_string());
            }
            None => println!("  {line}"),
        }
    }

    /// The last step is done.
    pub fn finish(self) {
        if let Some(bar) = self.0 {
            bar.finish_and_clear();
            println!("  {}", bar.message());
        }
    }
}

/// Runs `work`, showing `message` with a spinner and the elapsed time on a terminal (a step that
/// prints nothing for minutes, like solc's first build, still shows it is alive).
pub fn while_running<T>(message: &str, work: impl FnOnce() -> T) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("  {spinner} [{elapsed}] {msg}") {
        bar.set_style(style);
    }
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    let result = work();
    bar.finish_and_clear();
    result
}
