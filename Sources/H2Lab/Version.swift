/// H2Lab's version: `h2lab --version`, the Debian package, the man page. The one place it is set.
let h2labVersion = "0.5.0"
