"""Helpers shared by every test tier: feed builders, the loopback feed server, stores, sites,
the service as a process. Test files import from here, never from each other."""
