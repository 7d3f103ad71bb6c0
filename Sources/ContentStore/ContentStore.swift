// The ContentStore module.
