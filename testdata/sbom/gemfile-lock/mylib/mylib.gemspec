Gem::Specification.new do |s|
  s.name = "mylib"
  s.version = "0.1.0"
  s.summary = "fixture"
  s.authors = ["fixture"]
  s.files = []
  s.add_dependency "rack", ">= 2"
end
