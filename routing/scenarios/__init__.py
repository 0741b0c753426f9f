"""The scenario library for the built-in network: TOML files read by :mod:`routing.scenario`."""
