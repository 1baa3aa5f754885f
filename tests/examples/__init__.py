"""The example workflows in ``examples/``, run locally and on the emulator."""
