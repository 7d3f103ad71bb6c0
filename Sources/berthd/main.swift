print("berthd")
