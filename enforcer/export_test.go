package enforcer

// SetMutate lets tests change a plan before it is sent to the kernel.
func SetMutate(e *Enforcer, f func(*Plan)) { e.mutate = f }
