"""Renderers: they read a LayoutResult and never compute layout themselves."""
