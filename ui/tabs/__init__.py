"""The tabs of the page, each with its panels and formatting; they call ui.api, never core."""
