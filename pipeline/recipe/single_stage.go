package recipe

import (
	"strconv"

	"dagger.io/dagger"
)

// SingleStage is the tutorial's single-stage Dockerfile as code: one slim image that
// installs the requirements globally and carries the app next to them.
//
//	FROM python:<v>-slim
//	WORKDIR /app
//	COPY requirements.txt .          (a lock's pins, for a project with a lock)
//	RUN pip install --no-cache-dir -r requirements.txt
//	COPY . .
//	RUN pip install --no-deps .      (only for a project that is a package)
//	EXPOSE 5000
//	CMD ["python", "app.py"]         (the plan's start command)
//
// Each step's files carry the source date (reproducible.go says how), so the same
// inputs give the same image.
func (r *Recipes) SingleStage() *dagger.Container {
	pip := []string{"pip"}
	image := r.singleStageDependencies().WithDirectory("/", r.placedApp())
	if r.plan.InstallProject {
		image = r.withChanges(image, func(c *dagger.Container) *dagger.Container {
			return r.installProject(c, pip, "--no-cache-dir")
		})
	}
	return image.
		WithEnvVariable("PORT", strconv.Itoa(r.opts.Port)).
		WithExposedPort(r.opts.Port).
		WithDefaultArgs(r.opts.Command).
		WithLabel("org.opencontainers.image.title", "multistage single-stage").
		WithLabel("io.multistage.port", strconv.Itoa(r.opts.Port))
}

// singleStageDependencies is the single-stage image up to its requirements, before
// the app: what the link check resolves, unchanged by an app edit.
func (r *Recipes) singleStageDependencies() *dagger.Container {
	image := r.runtimeBase().
		WithWorkdir("/app").
		WithDirectory("/", r.placed("app", r.requirementsFile()))
	return r.withChanges(image, func(c *dagger.Container) *dagger.Container {
		return r.installRequirements(c, []string{"pip"}, "/app", "--no-cache-dir")
	})
}
