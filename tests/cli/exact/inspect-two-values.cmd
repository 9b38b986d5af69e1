inspect
a
b
