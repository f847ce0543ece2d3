"""Root conftest: the pytester plugin for the plugin's own end-to-end tests; nothing heavy."""

pytest_plugins = ["pytester"]
