package pipeline

// WithoutCarrying makes the production images leave the venv's native libraries
// behind, and, unless linkCheck, skips the link check too: what the regression tests
// need to see the failure the carrying prevents.
func WithoutCarrying(o *Options, linkCheck bool) {
	o.LeaveNativeBehind = true
	o.withoutLinkCheck = !linkCheck
}
