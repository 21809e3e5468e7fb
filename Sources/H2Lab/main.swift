print("h2lab: under construction")
