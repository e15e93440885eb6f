"""Pure command-centre rules: staff roles and what each may see."""
