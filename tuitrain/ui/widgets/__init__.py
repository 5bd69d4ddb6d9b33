"""The monitor's panels. Each draws from a RunHistory in `render`, so a resize redraws it at
its new size and a hidden panel costs nothing."""
