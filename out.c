lab> connect http://127.0.0.1:
lab> continue
  #1 server→client SETTINGS 21 bytes
     SETTINGS_MAX_CONCURRENT_STREAMS=100
     SETTINGS_MAX_HEADER_LIST_SIZE=65536
     client applies peer settings: SETTINGS_MAX_CONCURRENT_STREAMS=100,
       SETTINGS_MAX_HEADER_LIST_SIZE=65536
     client queued: SETTINGS ACK
  #2 client→server preface "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" 24 bytes
  #3 client→server SETTINGS 21 bytes
     SETTINGS_ENABLE_PUSH=0
     SETTINGS_MAX_CONCURRENT_STREAMS=100
     server applies peer settings: SETTINGS_ENABLE_PUSH=0, SETTINGS_MAX_CONCURRENT_STREAMS=100
     server queued: SETTINGS ACK
  #4 client→server SETTINGS [ACK] 9 bytes
     server's settings now in force: SETTINGS_MAX_CONCURRENT_STREAMS=100,
       SETTINGS_MAX_HEADER_LIST_SIZE=65536
  #5 server→client SETTINGS [ACK] 9 bytes
     client's settings now in force: SETTINGS_ENABLE_PUSH=0, SETTINGS_MAX_CONCURRENT_STREAMS=100
lab> show wire
  the wire is empty
