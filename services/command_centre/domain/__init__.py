"""Pure command-centre rules: staff accounts (what each may see is the authority model's)."""
