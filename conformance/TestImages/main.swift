print("testimages")
