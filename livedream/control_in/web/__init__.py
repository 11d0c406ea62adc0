"""The web control page and OSCQuery, served by livedream itself (`livedream live --web-port`)."""
