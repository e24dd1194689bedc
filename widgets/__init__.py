"""shoptrace widgets: the embeddable trace badge, timeline and trace page templates."""
