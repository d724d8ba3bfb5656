"""Publishing clients, one module per network, all speaking the interface of `base`."""
