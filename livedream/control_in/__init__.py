"""Control inputs: OSC (and MIDI, the web page) turned into validated changes for the main thread."""
