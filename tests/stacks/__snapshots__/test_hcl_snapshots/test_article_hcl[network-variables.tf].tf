(not written)
