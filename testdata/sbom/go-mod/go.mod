module example.com/hello

go 1.19

require example.com/greet v1.2.0

require example.com/words v0.3.1 // indirect
