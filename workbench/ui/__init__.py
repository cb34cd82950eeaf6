"""The desktop app (window, panels, widgets, workers): the only package that imports Qt."""
