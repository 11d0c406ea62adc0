"""Audio in: decoding files and live input, and the streaming analysis both share."""
