package main

import "example.com/greet"

func main() { println(greet.Greet("world")) }
