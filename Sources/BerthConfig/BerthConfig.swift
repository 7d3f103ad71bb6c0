// The BerthConfig module.
