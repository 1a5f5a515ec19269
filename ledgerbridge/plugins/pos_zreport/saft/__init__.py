"""SAF-T Cash Register (Skatteetaten's format every Norwegian cash register
system exports, DUELL included): the XSD, the code lists used, a streaming
reader and a generator of valid files."""
