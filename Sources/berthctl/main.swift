print("berthctl")
