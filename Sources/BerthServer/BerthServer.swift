// The BerthServer module.
