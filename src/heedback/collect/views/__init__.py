"""Pages of the collect app, one module per channel or tool."""
