// The Unpack module.
