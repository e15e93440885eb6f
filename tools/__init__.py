"""Developer and operator tools: the local stack, the simulator, the dead-letter CLI, the import of a
prison's spreadsheet. Installed with the `tools` extra; no service imports them, and a service image
carries none of them."""
