"""Every operation the app offers, over one context (places, access, the caller): the UI's one door into core."""
