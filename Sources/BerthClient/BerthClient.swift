// The BerthClient module.
