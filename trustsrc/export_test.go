package trustsrc

// SpoolMemory lets tests send a source to the temporary file.
var SpoolMemory = &spoolMemory
