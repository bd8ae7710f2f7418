"""Photos and other attachments: SHA-256 addressed storage, Pillow checks and derivatives."""
