// The BerthDaemon module.
