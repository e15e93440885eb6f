"""Pure gateway rules: request shapes, identity validation, scopes."""
