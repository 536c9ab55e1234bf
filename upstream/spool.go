package upstream

// spoolMemory is how much of a signed list is held in memory while it is
// read; past it the text goes to a temporary file. A list must be read
// twice (its signature covers all of it, and nothing of it may be parsed
// before that is checked), so it is kept once, here: in memory for the
// small lists of a demo or a small country, on disk for a national list
// of thousands of keys (~16 MiB) or a bogus one of any size, so memory
// stays bounded whatever comes. A variable so tests can use the file.
var spoolMemory = 1 << 20
