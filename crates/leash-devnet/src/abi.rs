//! What the dev chain calls on contracts that ship as bytecode only (the third-party accounts,
//! Uniswap V3) and on the test token, written by hand.

#![allow(missing_docs, clippy::too_many_arguments)]

use alloy::sol;

// Uniswap V3 and the test token.
sol! {
    #[sol(rpc)]
    interface IUniswapV3Factory {
        function createPool(address tokenA, address tokenB, uint24 fee) external returns (address pool);
        function getPool(address tokenA, address tokenB, uint24 fee) external view returns (address pool);
    }

    #[sol(rpc)]
    interface IUniswapV3Pool {
        function initialize(uint160 sqrtPriceX96) external;
        function liquidity() external view returns (uint128);
    }

    struct MintParams {
        address token0;
        address token1;
        uint24 fee;
        int24 tickLower;
        int24 tickUpper;
        uint256 amount0Desired;
        uint256 amount1Desired;
        uint256 amount0Min;
        uint256 amount1Min;
        address recipient;
        uint256 deadline;
    }

    #[sol(rpc)]
    interface INonfungiblePositionManager {
        function mint(MintParams calldata params) external payable returns (uint256 tokenId, uint128 liquidity, uint256 amount0, uint256 amount1);
    }

    struct ExactInputSingleParams {
        address tokenIn;
        address tokenOut;
        uint24 fee;
        address recipient;
        uint256 deadline;
        uint256 amountIn;
        uint256 amountOutMinimum;
        uint160 sqrtPriceLimitX96;
    }

    interface ISwapRouter {
        function exactInputSingle(ExactInputSingleParams calldata params) external payable returns (uint256 amountOut);
    }

    #[sol(rpc)]
    interface ITestToken {
        function mint(address to, uint256 amount) external;
    }
}
