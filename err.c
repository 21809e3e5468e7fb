s.txt:1: cannot connect to 127.0.0.1:80: connect to 127.0.0.1:80: Connection refused
Command exited with non-zero status 1
connect+ping flood: exit 1, RSS 31180 KiB, 0.02 s
