// The Snapshots module.
