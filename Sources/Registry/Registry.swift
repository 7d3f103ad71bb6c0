// The Registry module.
