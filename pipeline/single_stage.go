package pipeline

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
func (p *Pipeline) SingleStage() *dagger.Container {
	image := p.runtimeBase().WithWorkdir("/app")
	image = p.installRequirements(image, []string{"pip"}, "/app", "--no-cache-dir")
	image = image.WithDirectory("/app", p.app)
	return p.installProject(image, []string{"pip"}, "--no-cache-dir").
		WithEnvVariable("PORT", strconv.Itoa(p.opts.Port)).
		WithExposedPort(p.opts.Port).
		WithDefaultArgs(p.opts.Command).
		WithLabel("org.opencontainers.image.title", "multistage single-stage").
		WithLabel("io.multistage.port", strconv.Itoa(p.opts.Port))
}
