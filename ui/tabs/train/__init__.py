"""The Train tab: the settings form, Start/Stop/Resume, live curves, and the Sweep panel."""
