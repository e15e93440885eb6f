"""The six SPS services. Each has the same shape: domain/, handlers, api, adapters/, main."""
