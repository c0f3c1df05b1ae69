"""User-facing front doors: the command line and the Gradio chat."""
