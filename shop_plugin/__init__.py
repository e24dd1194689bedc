"""shoptrace shop plugin: the Flask extension that puts the trace service inside a shop."""
