"""The composition root (`app.build_zyn`) and the wiring it delegates to."""
